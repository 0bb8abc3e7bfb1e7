from django.urls import path

from support import views

urlpatterns = [path("", views.find_support, name="find_support")]
